"""Frame producers: camera, video, streams, photos, synthetic frames, relays."""
