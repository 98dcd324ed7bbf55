"""Operations: logging with secret redaction, health and metrics."""
