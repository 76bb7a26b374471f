"""The customer screens, one module each; the controller switches between them."""
