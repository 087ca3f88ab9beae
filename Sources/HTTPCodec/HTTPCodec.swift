// Placeholder; see the HTTPCodec work.
