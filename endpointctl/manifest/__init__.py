"""PURE: manifest files and YAML → typed desired endpoints; interpolation; messages for bad manifests."""

from endpointctl.manifest.loader import json_schema, load

__all__ = ["json_schema", "load"]
