"""The side and text panels: network controls, the input panel and its drawing pad, and
the equations with the selected step's numbers."""
