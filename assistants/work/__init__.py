"""Durable background work: runs, background responses and ingestion jobs, on one service.

A unit of work is registered (one system-tenant registry entry) and leased (a per-tenant lease
document its worker renews) in the same batch as the object it executes. A sweeper on every worker
settles the registered work whose lease ran out: each kind of work says how (fail, expire, resume).
"""
