"""Import of e-PPGBM registers (.csv/.xlsx): layout, cell parsing, streaming readers, the bulk pipeline."""
