"""Fine-tuning and evaluating S2D on a lab's own labelled clips (`s2d train`, `s2d evaluate`)."""
