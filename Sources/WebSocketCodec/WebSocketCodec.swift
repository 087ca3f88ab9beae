// Placeholder; see the WebSocketCodec work.
