"""Hardware generation: kernel IR to an Amaranth Component (and Verilog through Amaranth).

    design = generate(top)          # plans every function; nothing is elaborated yet
    design.component                # the top-level wiring.Component
    design.info                     # its ports and what simulation harnesses need (design.py)
    design.verilog()                # Verilog text

One room per stage: ``analysis/`` (normalization, unrolling, dataflow graphs, run-time checks,
storage, value shapes), ``scheduling/`` (list and modulo scheduling, the controller's plan and
its latency, the timing model), ``emit/`` (datapaths, controller, memories, units, error status,
the Component). ``generate.py`` runs them; ``design.py`` is the port contract with the
simulation harnesses; ``report.py`` describes a planned design.
"""
from .generate import GeneratedDesign, generate

__all__ = ["GeneratedDesign", "generate"]
