"""National panels: streaming employment tables and hot spots per year x industry block."""
