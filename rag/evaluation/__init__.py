"""The evaluation harness: gold questions through the `/ask` code path, scored per corpus and leave-one-corpus-out,
plus the stance labels and fitting the scorer."""
