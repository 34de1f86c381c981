"""Spreadsheets out: the expense list, a claim's documents (soupiska), the views and the import
template, as XLSX workbooks (XlsxWriter) and CSV files. Everything here formats documents the
projections made; nothing computes a figure of its own."""
