"""Stage 1, corpora: aligned parallel text (`Corpus`), language tags, the text readers, the
quality checks, and one loader per corpus layout."""
