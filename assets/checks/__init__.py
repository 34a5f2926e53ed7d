"""Asset checks any workflow can attach: great-expectations suites, model judges, PII and injection scans."""
