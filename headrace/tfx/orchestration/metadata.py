"""`tfx.orchestration.metadata`: ML Metadata connection configs."""

from headrace.tfx.metadata_configs import (
    mysql_metadata_connection_config,
    sqlite_metadata_connection_config,
)
from headrace.tfx.unsupported import module_getattr

__all__ = ["mysql_metadata_connection_config", "sqlite_metadata_connection_config"]

__getattr__ = module_getattr("orchestration.metadata", ())
