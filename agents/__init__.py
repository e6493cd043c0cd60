"""Reference agents for the score-envs environments, one readable file each (needs PyTorch:
``pip install -e '.[agents]'``). Run one as ``python -m agents.<name> --env ... --seed ...``;
``docs/agents.md`` lists them and their measured results."""
