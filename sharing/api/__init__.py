"""The agency API of the sharing app: collection (catalogue, credit records) and consultation
(purposes, files, credit checks, consent, the access log)."""
