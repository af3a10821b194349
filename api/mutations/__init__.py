"""Mutations: one module per object, each mutation a few dozen lines."""
