"""Schedules: the customizations applied to a kernel's IR."""
from .memory import Partition
from .schedule import BufferHandle, Schedule, customize

__all__ = ["BufferHandle", "Partition", "Schedule", "customize"]
