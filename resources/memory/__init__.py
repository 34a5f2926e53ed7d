"""Memory in LanceDB: semantic (documents) and episodic (decisions, checks, corrections); see `resource`."""

from resources.memory.records import Document, Hit, MemoryInputError, MissingTable
from resources.memory.resource import MemoryResource

__all__ = ["Document", "Hit", "MemoryInputError", "MemoryResource", "MissingTable"]
