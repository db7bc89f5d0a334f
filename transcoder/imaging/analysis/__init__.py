"""Reading the picture: perceptual hashes, placeholders, saliency, focal areas."""
