// Placeholder; the event-loop wrapper lands in the next commit.
