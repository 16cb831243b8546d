module github.com/statecraft/statecraft

go 1.26

require github.com/ohler55/ojg v1.28.5
