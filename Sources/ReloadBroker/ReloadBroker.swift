// Placeholder; the broker lands later.
