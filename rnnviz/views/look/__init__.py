"""How everything looks: palettes and themes, the current appearance, type and line sizes,
and the shared styling of plots and small widgets."""
