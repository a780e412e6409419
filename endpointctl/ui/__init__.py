"""What a person or a pipeline sees: the output sink, renderers (table/json/yaml), live progress."""
