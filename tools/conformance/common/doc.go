// Package common is what every conformance tool shares: the JSON report it prints and its
// command line. Package argo (common/argo) holds the Argo checks; each per-version module
// (argo34, argo35, ...) supplies only its Argo version's own parsing and validation.
package common
