"""score-envs: Gymnasium environments for multi-turn self-correction (the SCoRe setting).

Importing the package registers the environments (``ScoreMath-v0``, ...) with Gymnasium.
"""

from score_envs.registration import register_envs

__version__ = "0.1.0"

register_envs()
