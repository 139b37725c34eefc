// Package ingest turns an issuer's tabular records into issued documents:
// readers stream rows from CSV and XLSX, profiles map and validate them, and the
// pipeline renders, signs, stores and catalogs each one, reporting every bad
// row with its line number and reason.
package ingest
