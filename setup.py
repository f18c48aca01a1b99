"""Installs the rockit.focuser.c863 package and the two thin scripts.

`rockit` and `rockit.focuser` are namespace packages (no __init__.py), so that
rockit.common and other rockit.focuser.* packages install beside this one.
"""
from setuptools import setup, find_namespace_packages

setup(
    name='rockit.focuser.c863',
    version='1.0.0',
    description='Daemon and client for a PI C-863 Mercury telescope focuser',
    packages=find_namespace_packages(include=['rockit.focuser.c863', 'rockit.focuser.c863.*']),
    scripts=['c863_focusd', 'focus'],
    python_requires='>=3.9',
    install_requires=['Pyro4', 'pyserial', 'jsonschema'],
    extras_require={'test': ['pytest', 'hypothesis']},
)
