"""Hardware generation: kernel IR to an Amaranth Component (and Verilog through Amaranth).

    design = generate(top)          # plans every function; nothing is elaborated yet
    design.component                # the top-level wiring.Component
    design.info                     # its ports and what simulation harnesses need (design.py)
    design.verilog()                # Verilog text
"""
from .generate import GeneratedDesign, generate

__all__ = ["GeneratedDesign", "generate"]
