"""A real gRPC server speaking ML Metadata's own MetadataStoreService, for tests.

Kubeflow's metadata-grpc-service is a container image that cannot run here; this serves the same
service protos over real gRPC by handing each request to an embedded MLMD store (SQLite), so the
client side (`grpc://host:port`) is exercised end to end.
"""

from __future__ import annotations

import threading
from concurrent import futures

import grpc
from google.protobuf import message_factory
from ml_metadata import errors as mlmd_errors
from ml_metadata.metadata_store import metadata_store as ms
from ml_metadata.proto import metadata_store_pb2 as mlmd
from ml_metadata.proto import metadata_store_service_pb2 as service_pb2

_CODES = {code.value[0]: code for code in grpc.StatusCode}


def serve(sqlite_path: str, port: int = 0) -> tuple[grpc.Server, int]:
    """Start a server on 127.0.0.1 (a free port if 0); returns it and its port."""
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = sqlite_path
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = ms.MetadataStore(config)
    lock = threading.Lock()  # the embedded store is not thread-safe; the real server serialises
    service = service_pb2.DESCRIPTOR.services_by_name["MetadataStoreService"]
    handlers = {}
    for method in service.methods:
        request_cls = message_factory.GetMessageClass(method.input_type)
        response_cls = message_factory.GetMessageClass(method.output_type)

        def handle(request, context, name=method.name, response_cls=response_cls):
            response = response_cls()
            try:
                with lock:
                    store._call_method(name, request, response)
            except mlmd_errors.StatusError as exc:
                context.abort(_CODES.get(exc.error_code, grpc.StatusCode.UNKNOWN), str(exc))
            return response

        handlers[method.name] = grpc.unary_unary_rpc_method_handler(
            handle,
            request_deserializer=request_cls.FromString,
            response_serializer=response_cls.SerializeToString,
        )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service.full_name, handlers),)
    )
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server, bound
