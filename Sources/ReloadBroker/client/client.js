// The reload client; written in its own commit.
