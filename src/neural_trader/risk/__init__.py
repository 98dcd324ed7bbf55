"""Risk: pre-trade limits and the kill switch (trading); portfolio risk arrives with its issue."""
