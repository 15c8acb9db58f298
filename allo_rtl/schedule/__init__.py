"""Schedules: the customizations applied to a kernel's IR."""
from .schedule import BufferHandle, Partition, Schedule, customize

__all__ = ["BufferHandle", "Partition", "Schedule", "customize"]
