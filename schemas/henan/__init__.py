"""Data of the `henan` spec document (003_feb7b066c8a02de1.txt, V1.9.4): tables, errata, profiles, actions, rules.

One document, two platforms (levels): the city platform (§2, §3.1, §4.1) and the provincial platform (§3.2, §4.2).
"""
