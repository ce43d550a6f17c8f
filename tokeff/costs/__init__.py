"""Stage 3, costs: dated rates, FX, workloads, and pricing (ratios x rates x workload)."""
