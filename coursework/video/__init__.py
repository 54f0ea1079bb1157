"""Video understanding: clips, 2D/late/early/3D models, flow, two-stream, CNN+LSTM,
non-local attention and temporal action localisation (notebook 01)."""
