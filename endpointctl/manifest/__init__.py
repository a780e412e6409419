"""PURE: manifest files and YAML → typed desired endpoints; interpolation; messages for bad manifests."""

from endpointctl.manifest.loader import Reading, json_schema, load, read_manifests

__all__ = ["Reading", "json_schema", "load", "read_manifests"]
