"""The plots of the network page: heatmaps of h_t and dL/dh_t, the sequence plot and the
gradient-norm plot, with the curves they draw."""
