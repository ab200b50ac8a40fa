// Package testenv decides what a test does when a real part it needs (a
// PostgreSQL server, the data in ../shared/data) is missing: skip it on a
// developer's machine, fail it in CI. .ci/run exports CI=true, so a CI run
// where PostgreSQL did not start or the data is absent goes red instead of
// passing with fewer tests.
package testenv
