"""The Sparkplug B payload (Eclipse Sparkplug 3.0, ``sparkplug_b.proto``, package ``org.eclipse.tahu.protobuf``),
built as a protobuf descriptor at import time so no ``protoc`` step is needed.

Only what a host application reads is declared: the payload's timestamp, metrics, seq and uuid; a metric's name,
alias, timestamp, datatype, historical/transient/null flags, property set and scalar values. The other fields
(metadata, data sets, templates, extensions) keep their numbers free: protobuf skips them as unknown fields, so a
payload carrying them still parses. Field numbers and types follow the public ``.proto`` exactly.
"""

from __future__ import annotations

from enum import IntEnum

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

__all__ = ["DataType", "Metric", "Payload", "PropertySet", "PropertyValue"]

_F = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "org.eclipse.tahu.protobuf"


class DataType(IntEnum):
    """Sparkplug B metric data types (the ``datatype`` of a metric)."""

    UNKNOWN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12
    DATETIME = 13
    TEXT = 14


def _add(msg, name: str, number: int, kind: int, *, repeated: bool = False, type_name: str = "", oneof=None):
    f = msg.field.add()
    f.name, f.number, f.type = name, number, kind
    f.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof


def _file() -> descriptor_pb2.FileDescriptorProto:
    fd = descriptor_pb2.FileDescriptorProto(name="gasops_sparkplug_b.proto", package=_PACKAGE, syntax="proto2")
    payload = fd.message_type.add(name="Payload")
    ref = f".{_PACKAGE}.Payload."

    pv = payload.nested_type.add(name="PropertyValue")
    pv.oneof_decl.add(name="value")
    _add(pv, "type", 1, _F.TYPE_UINT32)
    _add(pv, "is_null", 2, _F.TYPE_BOOL)
    for name, number, kind in (("int_value", 3, _F.TYPE_UINT32), ("long_value", 4, _F.TYPE_UINT64),
                               ("float_value", 5, _F.TYPE_FLOAT), ("double_value", 6, _F.TYPE_DOUBLE),
                               ("boolean_value", 7, _F.TYPE_BOOL), ("string_value", 8, _F.TYPE_STRING)):  # fmt: skip
        _add(pv, name, number, kind, oneof=0)

    ps = payload.nested_type.add(name="PropertySet")
    _add(ps, "keys", 1, _F.TYPE_STRING, repeated=True)
    _add(ps, "values", 2, _F.TYPE_MESSAGE, repeated=True, type_name=ref + "PropertyValue")

    metric = payload.nested_type.add(name="Metric")
    metric.oneof_decl.add(name="value")
    _add(metric, "name", 1, _F.TYPE_STRING)
    _add(metric, "alias", 2, _F.TYPE_UINT64)
    _add(metric, "timestamp", 3, _F.TYPE_UINT64)
    _add(metric, "datatype", 4, _F.TYPE_UINT32)
    _add(metric, "is_historical", 5, _F.TYPE_BOOL)
    _add(metric, "is_transient", 6, _F.TYPE_BOOL)
    _add(metric, "is_null", 7, _F.TYPE_BOOL)
    _add(metric, "properties", 9, _F.TYPE_MESSAGE, type_name=ref + "PropertySet")
    for name, number, kind in (("int_value", 10, _F.TYPE_UINT32), ("long_value", 11, _F.TYPE_UINT64),
                               ("float_value", 12, _F.TYPE_FLOAT), ("double_value", 13, _F.TYPE_DOUBLE),
                               ("boolean_value", 14, _F.TYPE_BOOL), ("string_value", 15, _F.TYPE_STRING),
                               ("bytes_value", 16, _F.TYPE_BYTES)):  # fmt: skip
        _add(metric, name, number, kind, oneof=0)

    _add(payload, "timestamp", 1, _F.TYPE_UINT64)
    _add(payload, "metrics", 2, _F.TYPE_MESSAGE, repeated=True, type_name=ref + "Metric")
    _add(payload, "seq", 3, _F.TYPE_UINT64)
    _add(payload, "uuid", 4, _F.TYPE_STRING)
    _add(payload, "body", 5, _F.TYPE_BYTES)
    return fd


_pool = descriptor_pool.DescriptorPool()  # our own pool: another library's copy of the .proto cannot clash
_pool.Add(_file())
Payload = message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"{_PACKAGE}.Payload"))
Metric = Payload.Metric
PropertySet = Payload.PropertySet
PropertyValue = Payload.PropertyValue
