"""Stage 2, the study: count tokens once per segment (cached), then summarize the per-segment
table into the tidy ratio table with paired bootstrap CIs and signatures; streamed and
distributed variants of the same pipeline."""
