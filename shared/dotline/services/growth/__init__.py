"""Growth: a person's growth (growth), the growth ledger (ledger), growth earned from mirrored rows (earned) and backfill."""
