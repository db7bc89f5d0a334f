"""Reading sources: sniffing formats, decoders, colour and metadata."""
