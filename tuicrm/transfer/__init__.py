"""Import and export of spreadsheets (.xlsx/.csv). Pure Python: never imports Textual."""
