"""endpointctl: declarative management of Hugging Face Inference Endpoints."""

__version__ = "0.1.0"
