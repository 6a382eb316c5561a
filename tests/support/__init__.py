"""Test support: real servers and stores the tests run against."""
