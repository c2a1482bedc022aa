"""Training: oracle data generation, SFT export, supervised fine-tuning and the bundled model's recipe."""
