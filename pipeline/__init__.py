"""Qt-free vision and decision logic: pixels in, typed evidence and decisions out.

Importing this package loads no model; each verb creates or reuses its
components on first use.
"""

from pipeline.engine import EngineConfig, GraphOptimization, OnnxEngine

__all__ = ["EngineConfig", "GraphOptimization", "OnnxEngine"]
