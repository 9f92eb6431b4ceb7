"""The gradient lab: panels that answer why gradients vanish, explode, or survive."""
