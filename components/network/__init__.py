"""The VPC: subnets per AZ, NAT, endpoints and their data perimeter, flow logs; AZ IDs and offerings."""
