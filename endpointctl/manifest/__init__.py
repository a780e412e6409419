"""PURE: manifest files and YAML → typed desired endpoints; interpolation; messages for bad manifests."""

from endpointctl.manifest.loader import Reading, json_schema, load, read_manifests
from endpointctl.manifest.yaml_source import LOADERS, YamlLoader

__all__ = ["LOADERS", "Reading", "YamlLoader", "json_schema", "load", "read_manifests"]
