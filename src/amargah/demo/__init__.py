"""The demo world: a synthetic, plausible Semnan Province with a census and a survey.

``build_world(out_dir)`` writes, deterministically from a seed, the census (persons and
households), the sampling frame of enumeration areas, a labour-force-style sample
survey drawn from it with a stratified two-stage design, the true population values
(``truth.json``), the codebook (``codebook.json``) and a manifest with checksums.
Nothing here imports Django.
"""

from amargah.demo.world import (
    GENERATOR_VERSION,
    WorldFile,
    WorldManifest,
    build_world,
    load_manifest,
)

__all__ = ["GENERATOR_VERSION", "WorldFile", "WorldManifest", "build_world", "load_manifest"]
